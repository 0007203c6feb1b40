-- Rollups for trends: per day (UTC, of the call's start) and agent/team/queue/language, sums and
-- counts of what the trend endpoint averages, so a 90-day trend reads a few thousand rows instead
-- of aggregating every call (bench/api.ts: 1.2 s → see README). Rebuilt per day whenever a call of
-- that day is saved or re-scored, under a per-day advisory lock.

CREATE TABLE daily_call_stats (
  day                   date NOT NULL,
  agent_id              text,
  team                  text,
  queue                 text,
  language              text,
  calls                 integer NOT NULL,
  duration_ms_sum       bigint NOT NULL,
  csat_sum              integer NOT NULL,
  csat_n                integer NOT NULL,
  sentiment_end_sum     double precision NOT NULL,
  sentiment_end_n       integer NOT NULL,
  sentiment_trend_sum   double precision NOT NULL,
  sentiment_trend_n     integer NOT NULL,
  dead_air_calls        integer NOT NULL,
  metrics_n             integer NOT NULL,
  overtalk_share_sum    double precision NOT NULL,
  overtalk_share_n      integer NOT NULL,
  talk_ratio_sum        double precision NOT NULL,
  talk_ratio_n          integer NOT NULL
);
CREATE INDEX daily_call_stats_day ON daily_call_stats (day);

-- QA per scorecard: mean percent of the automatic evaluations.
CREATE TABLE daily_qa_stats (
  day          date NOT NULL,
  agent_id     text,
  team         text,
  queue        text,
  language     text,
  scorecard    text NOT NULL,
  qa_sum       double precision NOT NULL,
  qa_n         integer NOT NULL
);
CREATE INDEX daily_qa_stats_day ON daily_qa_stats (day, scorecard);
