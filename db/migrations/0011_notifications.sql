CREATE TABLE `notify_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subscription_id` text NOT NULL,
	`event_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`at` text NOT NULL,
	`http_status` integer,
	`error` text,
	`duration_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notify_attempts_subscription` ON `notify_attempts` (`subscription_id`,`id`);--> statement-breakpoint
CREATE TABLE `notify_cells` (
	`region` text NOT NULL,
	`model_id` text NOT NULL,
	`model_version` text NOT NULL,
	`code` text NOT NULL,
	`policy` text NOT NULL,
	`signature` text NOT NULL,
	`announced_at` text NOT NULL,
	PRIMARY KEY(`region`, `model_id`, `model_version`, `code`, `policy`, `signature`)
);
--> statement-breakpoint
CREATE TABLE `notify_deliveries` (
	`subscription_id` text NOT NULL,
	`event_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`first_attempt_at` text,
	`delivered_at` text,
	`created_at` text NOT NULL,
	PRIMARY KEY(`subscription_id`, `event_id`)
);
--> statement-breakpoint
CREATE TABLE `notify_events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`region` text NOT NULL,
	`source` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notify_events_source` ON `notify_events` (`source`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`regions` text NOT NULL,
	`events` text NOT NULL,
	`secret` text NOT NULL,
	`created_at` text NOT NULL
);
