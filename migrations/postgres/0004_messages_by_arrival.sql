-- Version 4 moved SQLite's messages into arrival order with (channel_sid, idx) as an index.
-- A PostgreSQL table is a heap in arrival order already, with its primary key (channel_sid, idx)
-- as the index: nothing changes here. The version exists so both backends number alike.
select 1;
