-- Accounts, API keys, services, roles, users and push credentials: the foundation every
-- later table hangs off. `seq` is the keyset key for paging (creation order); SIDs are the
-- public identifiers. Deleting a service cascades to everything under it.
--
-- PostgreSQL twin of migrations/sqlite/0001_foundation.sql. Timestamps are stored as `text` in
-- the wire format `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds), exactly as on SQLite: that form
-- sorts like the instant it names, so both backends share one code path and the outbox can
-- compare `next_attempt_at <= $now` as text. Every counter is `bigint` (Rust `i64`).
create table accounts (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    auth_token text not null,
    friendly_name text not null,
    date_created text not null
);

create table api_keys (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null references accounts (sid) on delete cascade,
    secret text not null,
    friendly_name text not null,
    date_created text not null
);
create index api_keys_account_sid_idx on api_keys (account_sid, seq);

-- Bumped whenever a credential is revoked, so that servers holding credentials in memory
-- notice within one poll interval, even when the revocation came from another process.
create table auth_epoch (
    id integer primary key check (id = 1),
    epoch bigint not null
);
insert into auth_epoch (id, epoch) values (1, 0);

create table services (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    friendly_name text not null,
    date_created text not null,
    date_updated text not null,
    revision bigint not null,
    settings text not null
);
create index services_account_sid_idx on services (account_sid, seq);

create table roles (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null references services (sid) on delete cascade,
    friendly_name text not null,
    type text not null,
    permissions text not null,
    date_created text not null,
    date_updated text not null
);
create index roles_service_sid_idx on roles (service_sid, seq);

create table users (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null references services (sid) on delete cascade,
    role_sid text,
    identity text not null,
    attributes text,
    friendly_name text,
    joined_channels_count bigint not null default 0,
    date_created text not null,
    date_updated text not null,
    unique (service_sid, identity)
);
create index users_service_sid_idx on users (service_sid, seq);
create index users_role_sid_idx on users (role_sid);

create table credentials (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    friendly_name text,
    type text not null,
    sandbox boolean,
    certificate text,
    private_key text,
    api_key text,
    secret text,
    date_created text not null,
    date_updated text not null
);
create index credentials_account_sid_idx on credentials (account_sid, seq);
