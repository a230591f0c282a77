CREATE TABLE `intervention_record_audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`record_id` text NOT NULL,
	`action` text NOT NULL,
	`actor` text NOT NULL,
	`at` text NOT NULL,
	`record` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_labels_vendor` ON `pending_labels` (`vendor`);