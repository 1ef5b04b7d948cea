UPDATE feedback SET status = 'assigned', assigned_to = :assignee, assigned_at = :at WHERE id = :id
