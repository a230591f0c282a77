CREATE TABLE `item_overlays` (
	`slice_pk` integer NOT NULL,
	`bucket` integer NOT NULL,
	`item_id` text NOT NULL,
	`rev` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`slice_pk`, `bucket`, `item_id`)
);
