CREATE TABLE "analytics_day_breakdowns" (
	"organization_id" uuid NOT NULL,
	"day" date NOT NULL,
	"location_key" text NOT NULL,
	"dimension" text NOT NULL,
	"key" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	"points" bigint DEFAULT 0 NOT NULL,
	"amount" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_day_breakdowns_organization_id_day_location_key_dimension_key_pk" PRIMARY KEY("organization_id","day","location_key","dimension","key")
);
--> statement-breakpoint
CREATE TABLE "analytics_days" (
	"organization_id" uuid NOT NULL,
	"day" date NOT NULL,
	"location_key" text NOT NULL,
	"tickets" bigint DEFAULT 0 NOT NULL,
	"revenue" bigint DEFAULT 0 NOT NULL,
	"member_tickets" bigint DEFAULT 0 NOT NULL,
	"member_revenue" bigint DEFAULT 0 NOT NULL,
	"returns" bigint DEFAULT 0 NOT NULL,
	"returned_amount" bigint DEFAULT 0 NOT NULL,
	"active_members" bigint DEFAULT 0 NOT NULL,
	"new_members" bigint DEFAULT 0 NOT NULL,
	"points_issued" bigint DEFAULT 0 NOT NULL,
	"points_spent" bigint DEFAULT 0 NOT NULL,
	"points_expired" bigint DEFAULT 0 NOT NULL,
	"points_cancelled" bigint DEFAULT 0 NOT NULL,
	"points_adjusted" bigint DEFAULT 0 NOT NULL,
	"points_transferred" bigint DEFAULT 0 NOT NULL,
	"points_net" bigint DEFAULT 0 NOT NULL,
	"claims" bigint DEFAULT 0 NOT NULL,
	"coupons_used" bigint DEFAULT 0 NOT NULL,
	"redemptions" bigint DEFAULT 0 NOT NULL,
	"discount_given" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_days_organization_id_day_location_key_pk" PRIMARY KEY("organization_id","day","location_key")
);
--> statement-breakpoint
CREATE TABLE "analytics_dirty_days" (
	"organization_id" uuid NOT NULL,
	"day" date NOT NULL,
	CONSTRAINT "analytics_dirty_days_organization_id_day_pk" PRIMARY KEY("organization_id","day")
);
--> statement-breakpoint
CREATE TABLE "analytics_member_days" (
	"organization_id" uuid NOT NULL,
	"day" date NOT NULL,
	"customer_id" uuid NOT NULL,
	"location_key" text NOT NULL,
	"tickets" integer NOT NULL,
	"revenue" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_member_days_organization_id_day_customer_id_location_key_pk" PRIMARY KEY("organization_id","day","customer_id","location_key")
);
--> statement-breakpoint
CREATE TABLE "analytics_periods" (
	"organization_id" uuid NOT NULL,
	"granularity" text NOT NULL,
	"period_start" date NOT NULL,
	"location_key" text NOT NULL,
	"cohort" text NOT NULL,
	"active_members" bigint DEFAULT 0 NOT NULL,
	"tickets" bigint DEFAULT 0 NOT NULL,
	"revenue" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "analytics_periods_organization_id_granularity_period_start_location_key_cohort_pk" PRIMARY KEY("organization_id","granularity","period_start","location_key","cohort")
);
--> statement-breakpoint
CREATE TABLE "event_rollup_queue" (
	"organization_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	CONSTRAINT "event_rollup_queue_organization_id_event_id_pk" PRIMARY KEY("organization_id","event_id")
);
--> statement-breakpoint
ALTER TABLE "point_types" ADD COLUMN "value_per_thousand_points" integer;--> statement-breakpoint
CREATE INDEX "customers_created_at_idx" ON "customers" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE INDEX "coupons_used_at_idx" ON "coupons" USING btree ("organization_id","used_at") WHERE "coupons"."used_at" is not null;--> statement-breakpoint
CREATE INDEX "redemptions_committed_at_idx" ON "redemptions" USING btree ("organization_id","committed_at") WHERE "redemptions"."committed_at" is not null;--> statement-breakpoint
CREATE INDEX "reward_usages_used_at_idx" ON "reward_usages" USING btree ("organization_id","used_at");--> statement-breakpoint
ALTER TABLE "point_types" ADD CONSTRAINT "point_types_value_check" CHECK ("point_types"."value_per_thousand_points" >= 0);