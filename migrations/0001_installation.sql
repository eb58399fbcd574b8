-- The installation: one row that marks this database as Baton's and names it.
create table installation (
  id uuid primary key default gen_random_uuid(),
  singleton boolean not null default true unique check (singleton),
  created_at timestamptz not null default now()
);

insert into installation default values;
