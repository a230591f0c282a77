CREATE TABLE `aggregates` (
	`region` text NOT NULL,
	`model_id` text NOT NULL,
	`model_version` text NOT NULL,
	`policy` text NOT NULL,
	`metric` text NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`region`, `model_id`, `model_version`, `policy`, `metric`)
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`regions` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE TABLE `intervention_audit` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`region` text NOT NULL,
	`signature` text NOT NULL,
	`action` text NOT NULL,
	`actor` text NOT NULL,
	`at` text NOT NULL,
	`old_mapping` text,
	`new_mapping` text
);
--> statement-breakpoint
CREATE INDEX `intervention_audit_region` ON `intervention_audit` (`region`,`id`);--> statement-breakpoint
CREATE TABLE `intervention_overrides` (
	`region` text NOT NULL,
	`signature` text NOT NULL,
	`mapping` text NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`region`, `signature`)
);
--> statement-breakpoint
CREATE TABLE `interventions` (
	`code` text PRIMARY KEY NOT NULL,
	`lever` text NOT NULL,
	`stage` text,
	`cost` text NOT NULL,
	`description` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `item_chunks` (
	`slice_pk` integer NOT NULL,
	`bucket` integer NOT NULL,
	`part` integer NOT NULL,
	`n` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`slice_pk`, `bucket`, `part`)
);
--> statement-breakpoint
CREATE TABLE `model_versions` (
	`model_id` text NOT NULL,
	`version` text NOT NULL,
	`stage` text NOT NULL,
	`first_slice_at` text NOT NULL,
	PRIMARY KEY(`model_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `policies` (
	`code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`severity` real NOT NULL,
	`threshold` real NOT NULL,
	`position` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `regions` (
	`code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`languages` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `signature_interventions` (
	`signature` text NOT NULL,
	`intervention` text NOT NULL,
	`weight` real NOT NULL,
	`rationale` text NOT NULL,
	PRIMARY KEY(`signature`, `intervention`)
);
--> statement-breakpoint
CREATE TABLE `signatures` (
	`code` text PRIMARY KEY NOT NULL,
	`level` text NOT NULL,
	`description` text NOT NULL,
	`rule` text NOT NULL,
	`taxonomy_version` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `slice_aggregates` (
	`slice_pk` integer NOT NULL,
	`policy` text NOT NULL,
	`metric` text NOT NULL,
	`value` real NOT NULL,
	PRIMARY KEY(`slice_pk`, `policy`, `metric`)
);
--> statement-breakpoint
CREATE TABLE `slice_commits` (
	`slice_pk` integer PRIMARY KEY NOT NULL,
	`committed_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `slices` (
	`pk` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`region` text NOT NULL,
	`slice_id` text NOT NULL,
	`model_id` text NOT NULL,
	`model_version` text NOT NULL,
	`model_stage` text NOT NULL,
	`content_hash` text,
	`status` text NOT NULL,
	`owner` text,
	`error` text,
	`buckets` integer NOT NULL,
	`items` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`excluded` integer DEFAULT 0 NOT NULL,
	`pending` integer DEFAULT 0 NOT NULL,
	`by_signature` text DEFAULT '{}' NOT NULL,
	`r2_key` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `slices_region_slice` ON `slices` (`region`,`slice_id`);--> statement-breakpoint
CREATE INDEX `slices_model` ON `slices` (`model_id`,`model_version`);