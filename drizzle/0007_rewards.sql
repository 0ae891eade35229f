CREATE TABLE "coupons" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"code" text NOT NULL,
	"reward_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"claim_id" uuid NOT NULL,
	"status" text NOT NULL,
	"active_from" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"cost_points" bigint DEFAULT 0 NOT NULL,
	"used_at" timestamp with time zone,
	"redemption_id" uuid,
	"used_on" text,
	"location_id" uuid,
	"delivery_status" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "coupons_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "redemptions" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"order_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"status" text NOT NULL,
	"location_id" uuid,
	"channel" text NOT NULL,
	"currency" text NOT NULL,
	"order" jsonb NOT NULL,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"total_discount" bigint DEFAULT 0 NOT NULL,
	"points" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"expires_at" timestamp with time zone,
	"reserved_at" timestamp with time zone,
	"committed_at" timestamp with time zone,
	"released_at" timestamp with time zone,
	"release_reason" text,
	"transaction_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "redemptions_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "reward_categories" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"translations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_categories_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "reward_codes" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"reward_id" uuid NOT NULL,
	"code" text NOT NULL,
	"coupon_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_codes_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "reward_member_locks" (
	"organization_id" uuid NOT NULL,
	"reward_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"locked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "reward_member_locks_organization_id_reward_id_customer_id_pk" PRIMARY KEY("organization_id","reward_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "reward_usages" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"reward_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"quantity" integer NOT NULL,
	"points" bigint DEFAULT 0 NOT NULL,
	"point_type_id" uuid,
	"redemption_id" uuid,
	"used_at" timestamp with time zone NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "reward_usages_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "rewards" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"translations" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"type" text NOT NULL,
	"value" bigint,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"scope" jsonb DEFAULT '{"skus":[],"categories":[]}'::jsonb NOT NULL,
	"category_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"cost_points" bigint DEFAULT 0 NOT NULL,
	"point_type_id" uuid,
	"pos_code" text,
	"active" boolean DEFAULT true NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"weekdays" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"hours" jsonb,
	"location_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"channels" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"tier_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"segment_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"customer_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"visible_from" timestamp with time zone,
	"visible_to" timestamp with time zone,
	"total_limit" integer,
	"member_limit" integer,
	"member_period_limit" jsonb,
	"allow_repeat" boolean DEFAULT false NOT NULL,
	"stackable" boolean DEFAULT true NOT NULL,
	"minimum_order" bigint DEFAULT 0 NOT NULL,
	"coupon_delay_days" integer DEFAULT 0 NOT NULL,
	"coupon_valid_days" integer,
	"taken" integer DEFAULT 0 NOT NULL,
	"deleted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rewards_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_reward_fk" FOREIGN KEY ("organization_id","reward_id") REFERENCES "public"."rewards"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_codes" ADD CONSTRAINT "reward_codes_reward_fk" FOREIGN KEY ("organization_id","reward_id") REFERENCES "public"."rewards"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "coupons_code_unique" ON "coupons" USING btree ("organization_id","code");--> statement-breakpoint
CREATE INDEX "coupons_customer_idx" ON "coupons" USING btree ("organization_id","customer_id","id");--> statement-breakpoint
CREATE INDEX "coupons_reward_idx" ON "coupons" USING btree ("organization_id","reward_id","id");--> statement-breakpoint
CREATE INDEX "coupons_expiry_idx" ON "coupons" USING btree ("expires_at") WHERE "coupons"."status" = 'active' and "coupons"."expires_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "redemptions_order_unique" ON "redemptions" USING btree ("organization_id","order_id") WHERE "redemptions"."status" <> 'released';--> statement-breakpoint
CREATE INDEX "redemptions_order_idx" ON "redemptions" USING btree ("organization_id","order_id","id");--> statement-breakpoint
CREATE INDEX "redemptions_customer_idx" ON "redemptions" USING btree ("organization_id","customer_id","id");--> statement-breakpoint
CREATE INDEX "redemptions_expiry_idx" ON "redemptions" USING btree ("organization_id","expires_at") WHERE "redemptions"."status" = 'reserved';--> statement-breakpoint
CREATE UNIQUE INDEX "reward_codes_code_unique" ON "reward_codes" USING btree ("organization_id","code");--> statement-breakpoint
CREATE INDEX "reward_codes_free_idx" ON "reward_codes" USING btree ("organization_id","reward_id","id") WHERE "reward_codes"."coupon_id" is null;--> statement-breakpoint
CREATE INDEX "reward_usages_member_idx" ON "reward_usages" USING btree ("organization_id","customer_id","reward_id","used_at");--> statement-breakpoint
CREATE INDEX "reward_usages_redemption_idx" ON "reward_usages" USING btree ("organization_id","redemption_id") WHERE "reward_usages"."redemption_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "rewards_pos_code_unique" ON "rewards" USING btree ("organization_id","pos_code") WHERE "rewards"."pos_code" is not null and "rewards"."deleted_at" is null;