UPDATE feedback SET status = 'closed', closed_at = :at WHERE id = :id
