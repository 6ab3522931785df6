-- The messaging core: channels, members, messages, invites, channel webhooks and push bindings.
-- Counters live on their parents (channels.members_count, channels.messages_count,
-- users.joined_channels_count) and are changed in the same transaction as the rows they count.
-- Message indexes come from channels.next_index, bumped inside the inserting transaction, so
-- they are unique and gap-free per channel; messages are paged by (channel_sid, idx).
create table channels (
    seq integer primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null references services (sid) on delete cascade,
    friendly_name text,
    unique_name text,
    attributes text,
    type text not null,
    created_by text not null,
    members_count integer not null default 0,
    messages_count integer not null default 0,
    next_index integer not null default 0,
    last_message_sid text,
    date_created text not null,
    date_updated text not null,
    unique (service_sid, unique_name)
);
create index channels_service_sid_idx on channels (service_sid, seq);
create index channels_service_sid_type_idx on channels (service_sid, type, seq);

create table members (
    seq integer primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null,
    channel_sid text not null references channels (sid) on delete cascade,
    identity text not null,
    role_sid text,
    attributes text,
    last_consumed_message_index integer,
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
    idx integer not null,
    from_identity text not null,
    body text,
    attributes text,
    media_sid text,
    was_edited integer not null default 0,
    last_updated_by text,
    date_created text not null,
    date_updated text not null,
    primary key (channel_sid, idx)
) without rowid;

create table invites (
    seq integer primary key,
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
    seq integer primary key,
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
    seq integer primary key,
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
