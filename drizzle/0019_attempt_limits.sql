-- Sign-in attempts move to one table counted by staff and members alike. The old rows are only the
-- last day of rate-limit counts: dropping them forgets at most one window of attempts.
CREATE TABLE "access_attempts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"organization_id" uuid,
	"kind" text NOT NULL,
	"address_hash" text,
	"ip" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP TABLE "member_access_attempts" CASCADE;--> statement-breakpoint
ALTER TABLE "access_attempts" ADD CONSTRAINT "access_attempts_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_attempts_address_idx" ON "access_attempts" USING btree ("kind","address_hash","created_at");--> statement-breakpoint
CREATE INDEX "access_attempts_ip_idx" ON "access_attempts" USING btree ("kind","ip","created_at");--> statement-breakpoint
CREATE INDEX "access_attempts_created_idx" ON "access_attempts" USING btree ("created_at");