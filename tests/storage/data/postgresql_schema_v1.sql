-- An Open-AutoGLM PostgreSQL database at schema version 1 (before trials.heartbeat_us,
-- trials.finish_seq and trials.creation_token), with a few rows. postgresql_storage_test.cc loads
-- it into an empty database and checks that opening it upgrades it to the current schema with
-- every row intact and the finish sequence back-filled in (datetime_complete_us, trial_id) order:
-- trial 1 (FAIL, finished first) gets 1, trial 0 (COMPLETE) gets 2, trial 2 (RUNNING) none.
CREATE TABLE autoglm_schema (version INTEGER NOT NULL);
CREATE TABLE studies (
  study_id      BIGSERIAL PRIMARY KEY,
  study_name    TEXT NOT NULL UNIQUE,
  created_at_us BIGINT NOT NULL
);
CREATE TABLE study_directions (
  study_id  BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  objective INTEGER NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('MINIMIZE', 'MAXIMIZE')),
  PRIMARY KEY (study_id, objective)
);
CREATE TABLE study_user_attrs (
  study_id   BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, attr_key)
);
CREATE TABLE study_system_attrs (
  study_id   BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (study_id, attr_key)
);
CREATE TABLE trials (
  trial_id             BIGSERIAL PRIMARY KEY,
  study_id             BIGINT NOT NULL REFERENCES studies(study_id) ON DELETE CASCADE,
  number               INTEGER NOT NULL,
  state                TEXT NOT NULL,
  datetime_start_us    BIGINT,
  datetime_complete_us BIGINT,
  UNIQUE (study_id, number)
);
CREATE INDEX trials_study_state ON trials(study_id, state, number);
CREATE TABLE trial_values (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  objective  INTEGER NOT NULL,
  value      DOUBLE PRECISION,
  value_type INTEGER NOT NULL,
  PRIMARY KEY (trial_id, objective)
);
CREATE TABLE trial_params (
  trial_id          BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  param_name        TEXT NOT NULL,
  param_value       DOUBLE PRECISION,
  distribution_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);
CREATE TABLE trial_intermediate_values (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  step       BIGINT NOT NULL,
  value      DOUBLE PRECISION,
  value_type INTEGER NOT NULL,
  PRIMARY KEY (trial_id, step)
);
CREATE TABLE trial_user_attrs (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, attr_key)
);
CREATE TABLE trial_system_attrs (
  trial_id   BIGINT NOT NULL REFERENCES trials(trial_id) ON DELETE CASCADE,
  attr_key   TEXT NOT NULL,
  value_json TEXT NOT NULL,
  PRIMARY KEY (trial_id, attr_key)
);
INSERT INTO autoglm_schema (version) VALUES (1);

INSERT INTO studies (study_id, study_name, created_at_us) VALUES (1, 'legacy', 1700000000000000);
SELECT setval('studies_study_id_seq', 1);
INSERT INTO study_directions VALUES (1, 0, 'MINIMIZE');
INSERT INTO study_user_attrs VALUES (1, 'owner', '"ada"');
INSERT INTO study_system_attrs VALUES (1, 'config', '{"sampler":"tpe","n_trials":3}');

INSERT INTO trials (trial_id, study_id, number, state, datetime_start_us, datetime_complete_us) VALUES
  (1, 1, 0, 'COMPLETE', 1700000001000000, 1700000009000000),
  (2, 1, 1, 'FAIL',     1700000002000000, 1700000004000000),
  (3, 1, 2, 'RUNNING',  1700000003000000, NULL);
SELECT setval('trials_trial_id_seq', 3);

INSERT INTO trial_values VALUES (1, 0, 0.25, 0);
INSERT INTO trial_params VALUES
  (1, 'lr', 0.001, '{"attributes":{"high":0.1,"log":true,"low":1e-05,"step":null},"name":"FloatDistribution"}'),
  (1, 'layers', 3, '{"attributes":{"high":8,"log":false,"low":1,"step":1},"name":"IntDistribution"}'),
  (2, 'lr', 0.05, '{"attributes":{"high":0.1,"log":true,"low":1e-05,"step":null},"name":"FloatDistribution"}'),
  (3, 'lr', 0.0001, '{"attributes":{"high":0.1,"log":true,"low":1e-05,"step":null},"name":"FloatDistribution"}');
INSERT INTO trial_intermediate_values VALUES
  (1, 0, 0.9, 0), (1, 1, 0.5, 0), (1, 2, NULL, 3),
  (2, 0, NULL, 1),
  (3, 0, 0.7, 0), (3, 5, NULL, 2);
INSERT INTO trial_user_attrs VALUES (1, 'note', '"best so far"'), (3, 'gpu', '1');
INSERT INTO trial_system_attrs VALUES (2, 'fail_reason', '"out of memory"'), (1, 'constraints', '[-1.0]');
