CREATE TABLE `dead_letters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`queue` text NOT NULL,
	`body` text NOT NULL,
	`error` text NOT NULL,
	`attempts` integer NOT NULL,
	`created_at` text NOT NULL,
	`replayed_at` text
);
--> statement-breakpoint
CREATE TABLE `intervention_records` (
	`id` text PRIMARY KEY NOT NULL,
	`intervention` text NOT NULL,
	`model_id` text NOT NULL,
	`version` text NOT NULL,
	`targets` text NOT NULL,
	`note` text,
	`applied_at` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `intervention_records_version` ON `intervention_records` (`model_id`,`version`);--> statement-breakpoint
CREATE TABLE `pending_labels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`region` text NOT NULL,
	`slice_id` text NOT NULL,
	`item_id` text NOT NULL,
	`vendor` text NOT NULL,
	`delivery_id` text NOT NULL,
	`event` text NOT NULL,
	`received_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_labels_slice` ON `pending_labels` (`region`,`slice_id`);--> statement-breakpoint
CREATE TABLE `vendors` (
	`vendor` text PRIMARY KEY NOT NULL,
	`scheme` text NOT NULL,
	`signature_header` text,
	`id_header` text,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_expires_at` text,
	`created_at` text NOT NULL,
	`rotated_at` text
);
--> statement-breakpoint
CREATE TABLE `votes` (
	`region` text NOT NULL,
	`slice_id` text NOT NULL,
	`item_id` text NOT NULL,
	`annotator` text NOT NULL,
	`vendor` text NOT NULL,
	`violating` integer NOT NULL,
	`labelled_at` text NOT NULL,
	`delivery_id` text NOT NULL,
	PRIMARY KEY(`region`, `slice_id`, `item_id`, `annotator`)
);
--> statement-breakpoint
CREATE INDEX `votes_annotator` ON `votes` (`annotator`);--> statement-breakpoint
CREATE INDEX `votes_vendor` ON `votes` (`vendor`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`vendor` text NOT NULL,
	`delivery_id` text NOT NULL,
	`received_at` text NOT NULL,
	`events` integer NOT NULL,
	`applied` integer NOT NULL,
	`parked` integer NOT NULL,
	PRIMARY KEY(`vendor`, `delivery_id`)
);
--> statement-breakpoint
ALTER TABLE `item_chunks` ADD `rev` integer DEFAULT 0 NOT NULL;