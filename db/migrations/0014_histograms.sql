CREATE TABLE `histograms` (
	`region` text NOT NULL,
	`model_id` text NOT NULL,
	`model_version` text NOT NULL,
	`policy` text NOT NULL,
	`family` text NOT NULL,
	`bucket` integer NOT NULL,
	`n` integer NOT NULL,
	`counts` text NOT NULL,
	PRIMARY KEY(`region`, `model_id`, `model_version`, `policy`, `family`, `bucket`)
);
--> statement-breakpoint
CREATE INDEX `histograms_model` ON `histograms` (`model_id`,`family`,`bucket`,`model_version`,`region`);--> statement-breakpoint
-- A database written before this migration keeps the same histograms in `aggregates`, one row
-- per bin (op:v:<bin>, op:b:<bin>) and per delay (ttd:<ms>): moved here, then deleted.
INSERT INTO `histograms` (`region`, `model_id`, `model_version`, `policy`, `family`, `bucket`, `n`, `counts`)
SELECT `region`, `model_id`, `model_version`, `policy`, substr(`metric`, 1, 4), 0, CAST(SUM(`value`) AS INTEGER), json_group_object(substr(`metric`, 6), CAST(`value` AS INTEGER))
FROM `aggregates` WHERE ((`metric` >= 'op:v:' AND `metric` < 'op:v;') OR (`metric` >= 'op:b:' AND `metric` < 'op:b;')) AND `value` <> 0
GROUP BY `region`, `model_id`, `model_version`, `policy`, substr(`metric`, 1, 4);
--> statement-breakpoint
INSERT INTO `histograms` (`region`, `model_id`, `model_version`, `policy`, `family`, `bucket`, `n`, `counts`)
SELECT `region`, `model_id`, `model_version`, `policy`, 'ttd', `b`, CAST(SUM(`value`) AS INTEGER), json_group_object(`k`, CAST(`value` AS INTEGER))
FROM (SELECT *, substr(`metric`, 5) AS `k`,
        CAST(CAST(substr(`metric`, 5) AS REAL) / 1000 AS INTEGER)
          - (CAST(substr(`metric`, 5) AS REAL) < 0 AND CAST(CAST(substr(`metric`, 5) AS REAL) / 1000 AS INTEGER) * 1000 <> CAST(substr(`metric`, 5) AS REAL)) AS `b`
      FROM `aggregates` WHERE `metric` >= 'ttd:' AND `metric` < 'ttd;' AND `value` <> 0)
GROUP BY `region`, `model_id`, `model_version`, `policy`, `b`;
--> statement-breakpoint
DELETE FROM `aggregates` WHERE (`metric` >= 'op:v:' AND `metric` < 'op:v;') OR (`metric` >= 'op:b:' AND `metric` < 'op:b;') OR (`metric` >= 'ttd:' AND `metric` < 'ttd;');
