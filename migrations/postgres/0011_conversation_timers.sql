-- PostgreSQL twin of migrations/sqlite/0011_conversation_timers.sql.
--
-- Conversation timers (Conversations API `Timers.Inactive` / `Timers.Closed`), in the channel's
-- own row so that setting, restarting and firing a timer is one conditional update.
--
-- `timer_inactive_ms` / `timer_closed_ms` are the durations as set (milliseconds; NULL: no
-- timer); every new message restarts them from its arrival. `timer_inactive_at` and
-- `timer_closed_at` are when each fires next (unix ms; NULL once fired or unset), and
-- `timer_due_at` is the earlier of the two, the one column each node's sweep reads through
-- its partial index: the cost of a sweep grows with the timers due, not with the table.
alter table channels add column timer_inactive_ms bigint;
alter table channels add column timer_closed_ms bigint;
alter table channels add column timer_inactive_at bigint;
alter table channels add column timer_closed_at bigint;
alter table channels add column timer_due_at bigint;
create index channels_timer_due_at_idx on channels (timer_due_at) where timer_due_at is not null;
