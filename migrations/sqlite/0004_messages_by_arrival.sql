-- Messages stored in arrival order (a rowid table) with (channel_sid, idx) as a unique index,
-- instead of clustered by (channel_sid, idx). Appending to many channels at once used to insert
-- into the middle of the clustered tree, where SQLite rebalances three nearly full sibling
-- pages every few rows: ~2.5 written pages per message. Now a message's row goes to the last
-- table page (shared by a whole commit) and only its small index entry goes to the channel's
-- place in the index. Paging by (channel_sid, idx) and lookups by sid are unchanged.
create table messages_by_arrival (
    seq integer primary key,
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
    unique (channel_sid, idx)
);
insert into messages_by_arrival (sid, account_sid, service_sid, channel_sid, idx, from_identity, body,
    attributes, media_sid, was_edited, last_updated_by, date_created, date_updated)
select sid, account_sid, service_sid, channel_sid, idx, from_identity, body,
    attributes, media_sid, was_edited, last_updated_by, date_created, date_updated
from messages order by channel_sid, idx;
drop table messages;
alter table messages_by_arrival rename to messages;
