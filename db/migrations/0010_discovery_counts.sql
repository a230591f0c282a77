CREATE TABLE `discovery_counts` (
	`region` text NOT NULL,
	`model_id` text NOT NULL,
	`model_version` text NOT NULL,
	`policy` text NOT NULL,
	`f1` text NOT NULL,
	`f2` text NOT NULL,
	`slice_key` text NOT NULL,
	`code` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`region`, `model_id`, `model_version`, `f1`, `policy`, `slice_key`, `code`)
);
--> statement-breakpoint
CREATE INDEX `discovery_counts_f2` ON `discovery_counts` (`region`,`model_id`,`model_version`,`f2`);--> statement-breakpoint
CREATE TABLE `discovery_ignored` (
	`region` text NOT NULL,
	`model_id` text NOT NULL,
	`model_version` text NOT NULL,
	`feature` text NOT NULL,
	`reason` text NOT NULL,
	`purged` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`region`, `model_id`, `model_version`, `feature`)
);
