ALTER TABLE `partition_sync` ADD `evictions` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `partition_sync` ADD `evicted_at` text;