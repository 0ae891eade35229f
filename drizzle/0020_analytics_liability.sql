CREATE TABLE "analytics_liability" (
	"organization_id" uuid NOT NULL,
	"point_type_id" uuid NOT NULL,
	"active" bigint DEFAULT 0 NOT NULL,
	"pending" bigint DEFAULT 0 NOT NULL,
	"blocked" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_liability_organization_id_point_type_id_pk" PRIMARY KEY("organization_id","point_type_id")
);
--> statement-breakpoint
-- What members hold now, until the upkeep next sums it.
INSERT INTO "analytics_liability" ("organization_id", "point_type_id", "active", "pending", "blocked") SELECT "organization_id", "point_type_id", sum("active"), sum("pending"), sum("blocked") FROM "point_balances" GROUP BY "organization_id", "point_type_id";
