-- The messaging core: channels, members, messages, invites, channel webhooks and push bindings.
-- Counters live on their parents (channels.members_count, channels.messages_count,
-- users.joined_channels_count) and are changed in the same transaction as the rows they count.
-- Message indexes come from channels.next_index, bumped inside the inserting transaction, so
-- they are unique and gap-free per channel; messages are paged by (channel_sid, idx).
--
-- PostgreSQL twin of migrations/sqlite/0002_messaging.sql (timestamps as text, see 0001). Every
-- write that changes a counter first locks the parent channel row (the `update ... returning`
-- of next_index, or `select ... for update`), so counters stay exact across several nodes.
create table channels (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null references services (sid) on delete cascade,
    friendly_name text,
    unique_name text,
    attributes text,
    type text not null,
    created_by text not null,
    members_count bigint not null default 0,
    messages_count bigint not null default 0,
    next_index bigint not null default 0,
    last_message_sid text,
    date_created text not null,
    date_updated text not null,
    unique (service_sid, unique_name)
);
create index channels_service_sid_idx on channels (service_sid, seq);
create index channels_service_sid_type_idx on channels (service_sid, type, seq);

create table members (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null,
    channel_sid text not null references channels (sid) on delete cascade,
    identity text not null,
    role_sid text,
    attributes text,
    last_consumed_message_index bigint,
    last_consumption_timestamp text,
    notification_level text,
    date_created text not null,
    date_updated text not null,
    unique (channel_sid, identity)
);
create index members_channel_sid_idx on members (channel_sid, seq);
create index members_service_sid_identity_idx on members (service_sid, identity, seq);

create table messages (
    sid text not null unique,
    account_sid text not null,
    service_sid text not null,
    channel_sid text not null references channels (sid) on delete cascade,
    idx bigint not null,
    from_identity text not null,
    body text,
    attributes text,
    media_sid text,
    was_edited boolean not null default false,
    last_updated_by text,
    date_created text not null,
    date_updated text not null,
    primary key (channel_sid, idx)
);

create table invites (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null,
    channel_sid text not null references channels (sid) on delete cascade,
    identity text not null,
    role_sid text,
    created_by text,
    date_created text not null,
    date_updated text not null,
    unique (channel_sid, identity)
);
create index invites_channel_sid_idx on invites (channel_sid, seq);
create index invites_service_sid_identity_idx on invites (service_sid, identity, seq);

create table channel_webhooks (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null,
    channel_sid text not null references channels (sid) on delete cascade,
    type text not null,
    configuration text not null,
    date_created text not null,
    date_updated text not null
);
create index channel_webhooks_channel_sid_idx on channel_webhooks (channel_sid, seq);

create table bindings (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null references services (sid) on delete cascade,
    identity text not null,
    endpoint text not null,
    credential_sid text,
    binding_type text not null,
    message_types text not null,
    date_created text not null,
    date_updated text not null
);
create index bindings_service_sid_idx on bindings (service_sid, seq);
create index bindings_service_sid_identity_idx on bindings (service_sid, identity, seq);
