-- Durable change positions, so a client that was offline can catch up from the database on any
-- node: every change a client can observe (a message, member, channel, user or invite added,
-- updated or removed) writes one `changes` row in the same transaction as the change itself.
--
-- Positions are numbered per service by `change_heads.last_position`, which every writing
-- transaction advances (SQLite has one writer, so positions are also committed in order; the
-- PostgreSQL twin explains why the head row gives commit order there). `pruned_through` is the
-- highest position that may have been deleted by pruning (or not carried over by `banter copy`):
-- a reader resuming from before it must resynchronise instead.
create table change_heads (
    seq integer primary key,
    service_sid text not null unique references services (sid) on delete cascade,
    last_position integer not null,
    pruned_through integer not null default 0
);

-- `kind` is a stable lowercase name (`message_added`, …); `channel_sid` is null for
-- service-level changes (users). Resuming reads `(service_sid, position)` in order.
create table changes (
    service_sid text not null,
    position integer not null,
    channel_sid text,
    kind text not null,
    sid text not null,
    date_created text not null,
    primary key (service_sid, position)
) without rowid;

-- No foreign key on `changes` (it would cost a lookup per logged change on the hot path); the
-- changes of a deleted service go with it here, cascaded deletes included.
create trigger changes_of_deleted_service after delete on services
begin
    delete from changes where service_sid = old.sid;
end;
