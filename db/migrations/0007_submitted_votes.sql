CREATE TABLE `submitted_votes` (
	`slice_pk` integer NOT NULL,
	`seq` integer NOT NULL,
	`region` text NOT NULL,
	`slice_id` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`slice_pk`, `seq`)
);
