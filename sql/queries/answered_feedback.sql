UPDATE feedback SET status = 'answered', answer = :answer, answered_at = :at WHERE id = :id
