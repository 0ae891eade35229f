CREATE TABLE "ledger_entries" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"point_type_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"points" bigint NOT NULL,
	"delta" bigint NOT NULL,
	"reason" text,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"source_type" text,
	"source_id" text,
	"location_id" uuid,
	"related_entry_id" uuid,
	"counterparty_customer_id" uuid,
	"active_from" timestamp with time zone,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_entries_organization_id_id_pk" PRIMARY KEY("organization_id","id"),
	CONSTRAINT "ledger_entries_source_unique" UNIQUE("organization_id","source_type","source_id","point_type_id","kind"),
	CONSTRAINT "ledger_entries_points_non_negative" CHECK ("ledger_entries"."points" >= 0)
);
--> statement-breakpoint
CREATE TABLE "point_balances" (
	"organization_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"point_type_id" uuid NOT NULL,
	"active" bigint DEFAULT 0 NOT NULL,
	"pending" bigint DEFAULT 0 NOT NULL,
	"blocked" bigint DEFAULT 0 NOT NULL,
	"earned" bigint DEFAULT 0 NOT NULL,
	"spent" bigint DEFAULT 0 NOT NULL,
	"expired" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "point_balances_organization_id_customer_id_point_type_id_pk" PRIMARY KEY("organization_id","customer_id","point_type_id"),
	CONSTRAINT "point_balances_non_negative" CHECK ("point_balances"."active" >= 0 and "point_balances"."pending" >= 0 and "point_balances"."blocked" >= 0)
);
--> statement-breakpoint
CREATE TABLE "point_lot_movements" (
	"organization_id" uuid NOT NULL,
	"entry_id" uuid NOT NULL,
	"lot_id" uuid NOT NULL,
	"remaining_delta" bigint NOT NULL,
	"blocked_delta" bigint NOT NULL,
	CONSTRAINT "point_lot_movements_organization_id_entry_id_lot_id_pk" PRIMARY KEY("organization_id","entry_id","lot_id")
);
--> statement-breakpoint
CREATE TABLE "point_lots" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"point_type_id" uuid NOT NULL,
	"entry_id" uuid NOT NULL,
	"amount" bigint NOT NULL,
	"remaining" bigint NOT NULL,
	"blocked" bigint DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"active_from" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"activated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "point_lots_organization_id_id_pk" PRIMARY KEY("organization_id","id"),
	CONSTRAINT "point_lots_amounts" CHECK ("point_lots"."amount" > 0 and "point_lots"."remaining" >= 0 and "point_lots"."blocked" >= 0 and "point_lots"."remaining" + "point_lots"."blocked" <= "point_lots"."amount")
);
--> statement-breakpoint
CREATE TABLE "point_types" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"code" text NOT NULL,
	"expires_after_days" integer,
	"expiry_rounding" text DEFAULT 'none' NOT NULL,
	"pending_days" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "point_types_organization_id_id_pk" PRIMARY KEY("organization_id","id"),
	CONSTRAINT "point_types_code_unique" UNIQUE("organization_id","code"),
	CONSTRAINT "point_types_expires_after_days_check" CHECK ("point_types"."expires_after_days" is null or "point_types"."expires_after_days" > 0),
	CONSTRAINT "point_types_pending_days_check" CHECK ("point_types"."pending_days" >= 0)
);
--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_balance_fk" FOREIGN KEY ("organization_id","customer_id","point_type_id") REFERENCES "public"."point_balances"("organization_id","customer_id","point_type_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_location_fk" FOREIGN KEY ("organization_id","location_id") REFERENCES "public"."locations"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_balances" ADD CONSTRAINT "point_balances_customer_fk" FOREIGN KEY ("organization_id","customer_id") REFERENCES "public"."customers"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_balances" ADD CONSTRAINT "point_balances_point_type_fk" FOREIGN KEY ("organization_id","point_type_id") REFERENCES "public"."point_types"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_lot_movements" ADD CONSTRAINT "point_lot_movements_entry_fk" FOREIGN KEY ("organization_id","entry_id") REFERENCES "public"."ledger_entries"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_lot_movements" ADD CONSTRAINT "point_lot_movements_lot_fk" FOREIGN KEY ("organization_id","lot_id") REFERENCES "public"."point_lots"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_lots" ADD CONSTRAINT "point_lots_entry_fk" FOREIGN KEY ("organization_id","entry_id") REFERENCES "public"."ledger_entries"("organization_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "point_types" ADD CONSTRAINT "point_types_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_entries_customer_idx" ON "ledger_entries" USING btree ("organization_id","customer_id","id");--> statement-breakpoint
CREATE INDEX "ledger_entries_related_idx" ON "ledger_entries" USING btree ("organization_id","related_entry_id") WHERE "ledger_entries"."related_entry_id" is not null;--> statement-breakpoint
CREATE INDEX "point_lot_movements_lot_idx" ON "point_lot_movements" USING btree ("organization_id","lot_id");--> statement-breakpoint
CREATE INDEX "point_lots_open_idx" ON "point_lots" USING btree ("organization_id","customer_id","point_type_id") WHERE "point_lots"."remaining" > 0 or "point_lots"."blocked" > 0;--> statement-breakpoint
CREATE INDEX "point_lots_entry_idx" ON "point_lots" USING btree ("organization_id","entry_id");--> statement-breakpoint
CREATE INDEX "point_lots_due_activation_idx" ON "point_lots" USING btree ("active_from") WHERE "point_lots"."status" = 'pending' and "point_lots"."remaining" > 0;--> statement-breakpoint
CREATE INDEX "point_lots_due_expiry_idx" ON "point_lots" USING btree ("expires_at") WHERE "point_lots"."status" = 'active' and "point_lots"."remaining" > 0 and "point_lots"."expires_at" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "point_types_default_unique" ON "point_types" USING btree ("organization_id") WHERE "point_types"."is_default";--> statement-breakpoint
-- Organizations created before the ledger existed get their default "Points" type too.
INSERT INTO "point_types" ("organization_id", "id", "name", "code", "is_default")
SELECT "id", gen_random_uuid(), 'Points', 'points', true FROM "organizations";
