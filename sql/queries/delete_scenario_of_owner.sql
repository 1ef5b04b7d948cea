-- Saving a scenario under a name its owner used before replaces that one (its actions go with it: ON DELETE
-- CASCADE); another owner's scenario of the same name is never touched. :owner NULL: the transaction's writer.
DELETE FROM scenario WHERE owner = coalesce(:owner, audit_actor()) AND name = :name;
