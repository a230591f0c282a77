CREATE TABLE `probe_jobs` (
	`slice_pk` integer NOT NULL,
	`batch` integer NOT NULL,
	`item_ids` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`error` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`slice_pk`, `batch`)
);
--> statement-breakpoint
CREATE INDEX `probe_jobs_status` ON `probe_jobs` (`status`,`updated_at`);