-- Schema 4: the monitor page asks for the steps of the last 48 hours, by hour, every few seconds
-- while it is open; without an index that reads every step the bot ever took.
CREATE INDEX steps_started ON scrittabot.steps (started);
