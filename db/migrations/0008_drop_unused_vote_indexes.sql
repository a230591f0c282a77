DROP INDEX `votes_annotator`;--> statement-breakpoint
DROP INDEX `votes_vendor`;