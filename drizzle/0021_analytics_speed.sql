CREATE TABLE "analytics_liability" (
	"organization_id" uuid NOT NULL,
	"point_type_id" uuid NOT NULL,
	"active" bigint DEFAULT 0 NOT NULL,
	"pending" bigint DEFAULT 0 NOT NULL,
	"blocked" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_liability_organization_id_point_type_id_pk" PRIMARY KEY("organization_id","point_type_id")
);
--> statement-breakpoint
ALTER TABLE "analytics_periods" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "analytics_periods" CASCADE;--> statement-breakpoint
ALTER TABLE "analytics_member_days" DROP CONSTRAINT "analytics_member_days_organization_id_day_customer_id_location_key_pk";--> statement-breakpoint
ALTER TABLE "analytics_member_days" ADD CONSTRAINT "analytics_member_days_organization_id_customer_id_location_key_day_pk" PRIMARY KEY("organization_id","customer_id","location_key","day");--> statement-breakpoint
ALTER TABLE "analytics_member_days" ADD COLUMN "previous_day" date;--> statement-breakpoint
CREATE INDEX "analytics_day_breakdowns_range_idx" ON "analytics_day_breakdowns" USING btree ("organization_id","location_key","dimension","day");--> statement-breakpoint
CREATE INDEX "analytics_member_days_range_idx" ON "analytics_member_days" USING btree ("organization_id","location_key","day","previous_day","customer_id","tickets","revenue");--> statement-breakpoint
ALTER TABLE "analytics_days" DROP COLUMN "active_members";--> statement-breakpoint
-- The member rollups gain `all` rows, previous days and cohort figures: every day that has rollups is recomputed by the worker.
DELETE FROM "analytics_member_days";--> statement-breakpoint
INSERT INTO "analytics_dirty_days" ("organization_id", "day") SELECT DISTINCT "organization_id", "day" FROM "analytics_days" ON CONFLICT DO NOTHING;--> statement-breakpoint
-- What members hold now, until the upkeep next sums it.
INSERT INTO "analytics_liability" ("organization_id", "point_type_id", "active", "pending", "blocked") SELECT "organization_id", "point_type_id", sum("active"), sum("pending"), sum("blocked") FROM "point_balances" GROUP BY "organization_id", "point_type_id";
