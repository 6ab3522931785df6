-- The transactional outbox: post-event webhook deliveries are written in the same transaction
-- as the change that causes them, so a committed change always has its deliveries and a
-- rolled-back one has none. Workers claim due rows with a lease; rows with the same
-- ordering_key (a channel) are delivered in seq order.
--
-- PostgreSQL twin of migrations/sqlite/0003_outbox.sql (timestamps as text, see 0001). Several
-- nodes claim concurrently with `for update skip locked`. The lease columns use the "C"
-- collation so that `<=` on them is a plain byte comparison whatever the database's locale.
create table outbox (
    seq bigint generated always as identity primary key,
    id text not null unique,
    account_sid text not null,
    ordering_key text not null,
    url text not null,
    method text not null,
    event_type text not null,
    params text not null,
    attempts bigint not null default 0,
    max_attempts bigint not null,
    status text not null default 'pending',
    next_attempt_at text collate "C" not null,
    locked_until text collate "C" not null,
    last_error text,
    date_created text not null
);
create index outbox_status_ordering_key_idx on outbox (status, ordering_key, seq);
create index outbox_status_next_attempt_at_idx on outbox (status, next_attempt_at);
