CREATE TABLE "customer_lines" (
	"organization_id" uuid NOT NULL,
	"customer_id" uuid NOT NULL,
	"line_key" text NOT NULL,
	"sku" text,
	"category" text,
	"maker" text,
	"labels" jsonb,
	"purchases" integer NOT NULL,
	CONSTRAINT "customer_lines_organization_id_customer_id_line_key_pk" PRIMARY KEY("organization_id","customer_id","line_key")
);
--> statement-breakpoint
-- Backfill: the distinct lines of each member's purchases that segments count (completed sales not
-- fully returned), keyed as src/modules/transactions/purchases.ts keys them.
INSERT INTO "customer_lines" ("organization_id", "customer_id", "line_key", "sku", "category", "maker", "labels", "purchases")
SELECT t.organization_id, t.customer_id, md5(jsonb_build_array(line.sku, line.category, line.maker, line.labels)::text),
  line.sku, line.category, line.maker, line.labels, count(*)
FROM "transactions" t
CROSS JOIN LATERAL (
  SELECT DISTINCT l->>'sku' AS sku, l->>'category' AS category, l->>'maker' AS maker, l->'labels' AS labels
  FROM jsonb_array_elements(t.content->'lines') l
) line
WHERE t.customer_id IS NOT NULL AND t.type = 'sale' AND t.status = 'completed'
  AND (t.returned_amount = 0 OR t.returned_amount < t.total)
GROUP BY t.organization_id, t.customer_id, line.sku, line.category, line.maker, line.labels;
