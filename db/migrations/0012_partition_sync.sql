CREATE TABLE `partition_sync` (
	`region` text NOT NULL,
	`slice_id` text NOT NULL,
	`slice_pk` integer NOT NULL,
	`synced_at` text NOT NULL,
	`items` integer NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`region`, `slice_id`)
);
