CREATE TABLE "customer_tiers" (
	"organization_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"tier_id" uuid,
	"automatic_tier_id" uuid,
	"below_since" timestamp with time zone,
	"manual_tier_id" uuid,
	"manual_locked" boolean DEFAULT false NOT NULL,
	"manual_expires_at" timestamp with time zone,
	"basis_value" bigint DEFAULT 0 NOT NULL,
	"evaluated_at" timestamp with time zone,
	"changed_at" timestamp with time zone,
	CONSTRAINT "customer_tiers_organization_id_customer_id_pk" PRIMARY KEY("organization_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "tier_sets" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tiers" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"threshold" bigint NOT NULL,
	"multiplier" integer DEFAULT 100 NOT NULL,
	"discount_percent" integer DEFAULT 0 NOT NULL,
	"perks" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tiers_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
CREATE TABLE "audience_refreshes" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"local_date" text NOT NULL,
	"ran_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "segment_members" (
	"organization_id" uuid NOT NULL,
	"segment_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "segment_members_organization_id_segment_id_customer_id_pk" PRIMARY KEY("organization_id","segment_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "segment_sets" (
	"organization_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "segments" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"active" boolean DEFAULT true NOT NULL,
	"parts" jsonb NOT NULL,
	"computed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "segments_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
ALTER TABLE "customer_tiers" ADD CONSTRAINT "customer_tiers_customer_fk" FOREIGN KEY ("organization_id","customer_id") REFERENCES "public"."customers"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "segment_members" ADD CONSTRAINT "segment_members_segment_fk" FOREIGN KEY ("organization_id","segment_id") REFERENCES "public"."segments"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customer_tiers_tier_idx" ON "customer_tiers" USING btree ("organization_id","tier_id","customer_id");--> statement-breakpoint
CREATE INDEX "customer_tiers_manual_expiry_idx" ON "customer_tiers" USING btree ("manual_expires_at") WHERE "customer_tiers"."manual_expires_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "tiers_name_unique" ON "tiers" USING btree ("organization_id",lower("name"));--> statement-breakpoint
CREATE INDEX "segment_members_customer_idx" ON "segment_members" USING btree ("organization_id","customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "segments_name_unique" ON "segments" USING btree ("organization_id",lower("name"));