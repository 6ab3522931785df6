-- Media Content Service: one row per uploaded file (the bytes live in the media storage, on
-- disk or in an object store, under the media SID). A row is written only once its bytes are
-- durable, so an interrupted upload leaves nothing. `channel_sid` and `message_sid` are set
-- when a message attaches the media (at most one message: `message_sid` is unique).
-- PostgreSQL twin of migrations/sqlite/0009_media.sql.
create table media (
    seq bigint generated always as identity primary key,
    sid text not null unique,
    account_sid text not null,
    service_sid text not null references services (sid) on delete cascade,
    channel_sid text references channels (sid) on delete cascade,
    message_sid text unique,
    author text not null,
    filename text,
    content_type text not null,
    size bigint not null,
    category text not null,
    date_created text not null,
    date_updated text not null,
    date_upload_updated text not null
);
create index media_service_sid_idx on media (service_sid, seq);

-- A media message carries a copy of its media's description (it never changes after upload),
-- so messages render without reading the media table.
alter table messages add column media_size bigint;
alter table messages add column media_content_type text;
alter table messages add column media_filename text;
