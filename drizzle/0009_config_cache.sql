DROP TABLE "earning_rule_sets" CASCADE;--> statement-breakpoint
DROP TABLE "tier_sets" CASCADE;--> statement-breakpoint
DROP TABLE "segment_sets" CASCADE;