CREATE TABLE "event_pass_queue" (
	"organization_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	CONSTRAINT "event_pass_queue_organization_id_event_id_pk" PRIMARY KEY("organization_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "apple_pass_registrations" (
	"organization_id" uuid NOT NULL,
	"device_library_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"push_token" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apple_pass_registrations_organization_id_device_library_id_customer_id_pk" PRIMARY KEY("organization_id","device_library_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "apple_pass_tokens" (
	"organization_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apple_pass_tokens_organization_id_customer_id_token_hash_pk" PRIMARY KEY("organization_id","customer_id","token_hash")
);
--> statement-breakpoint
CREATE TABLE "apple_passes" (
	"organization_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apple_passes_organization_id_customer_id_pk" PRIMARY KEY("organization_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "google_pass_objects" (
	"organization_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "google_pass_objects_organization_id_customer_id_pk" PRIMARY KEY("organization_id","customer_id")
);
--> statement-breakpoint
CREATE TABLE "pass_notifications" (
	"organization_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"channel" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"push_token" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pass_notifications_organization_id_id_pk" PRIMARY KEY("organization_id","id")
);
--> statement-breakpoint
ALTER TABLE "apple_pass_registrations" ADD CONSTRAINT "apple_pass_registrations_organization_id_customer_id_apple_passes_organization_id_customer_id_fk" FOREIGN KEY ("organization_id","customer_id") REFERENCES "public"."apple_passes"("organization_id","customer_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "apple_pass_tokens" ADD CONSTRAINT "apple_pass_tokens_organization_id_customer_id_apple_passes_organization_id_customer_id_fk" FOREIGN KEY ("organization_id","customer_id") REFERENCES "public"."apple_passes"("organization_id","customer_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "apple_passes" ADD CONSTRAINT "apple_passes_organization_id_customer_id_customers_organization_id_id_fk" FOREIGN KEY ("organization_id","customer_id") REFERENCES "public"."customers"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "google_pass_objects" ADD CONSTRAINT "google_pass_objects_organization_id_customer_id_customers_organization_id_id_fk" FOREIGN KEY ("organization_id","customer_id") REFERENCES "public"."customers"("organization_id","id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "apple_pass_registrations_customer_idx" ON "apple_pass_registrations" USING btree ("organization_id","customer_id");--> statement-breakpoint
CREATE INDEX "pass_notifications_due_idx" ON "pass_notifications" USING btree ("next_attempt_at") WHERE "pass_notifications"."status" = 'pending';