-- Durable change positions, so a client that was offline can catch up from the database on any
-- node: every change a client can observe (a message, member, channel, user or invite added,
-- updated or removed) writes one `changes` row in the same transaction as the change itself.
--
-- PostgreSQL twin of migrations/sqlite/0006_change_log.sql. Several nodes write at once, and a
-- sequence hands out numbers in call order, not commit order: a reader could see position 8
-- committed while 7 is still in flight and then miss 7 for good. So positions come from the
-- service's `change_heads` row, advanced by `update … returning` as the last step of every
-- writing transaction: the row lock is held until commit, so the positions of one service are
-- committed in order. `pruned_through` is the highest position that may have been deleted by
-- pruning (or not carried over by `banter copy`): a reader resuming from before it must
-- resynchronise instead.
create table change_heads (
    seq bigint generated always as identity primary key,
    service_sid text not null unique references services (sid) on delete cascade,
    last_position bigint not null,
    pruned_through bigint not null default 0
);

-- `kind` is a stable lowercase name (`message_added`, …); `channel_sid` is null for
-- service-level changes (users). Resuming reads `(service_sid, position)` in order.
create table changes (
    service_sid text not null,
    position bigint not null,
    channel_sid text,
    kind text not null,
    sid text not null,
    date_created text not null,
    primary key (service_sid, position)
);

-- No foreign key on `changes` (it would cost a check per logged change on the hot path); the
-- changes of a deleted service go with it here, cascaded deletes included.
create function changes_of_deleted_service() returns trigger language plpgsql as $$
begin
    delete from changes where service_sid = old.sid;
    return null;
end;
$$;
create trigger changes_of_deleted_service after delete on services
    for each row execute function changes_of_deleted_service();
