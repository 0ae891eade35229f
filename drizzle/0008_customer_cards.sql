ALTER TABLE "customers" ADD COLUMN "card_token" text;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "apple_pass_downloaded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "customers" ADD COLUMN "android_pass_downloaded_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "customers_card_token_unique" ON "customers" USING btree ("organization_id","card_token");