CREATE TABLE "till_pairings" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"code_hash" text NOT NULL,
	"location_ids" uuid[],
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"api_key_id" uuid,
	CONSTRAINT "till_pairings_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
ALTER TABLE "till_pairings" ADD CONSTRAINT "till_pairings_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "till_pairings_code_hash_idx" ON "till_pairings" USING btree ("code_hash");