"""Who gets a lead: the assignment rules, the pick among eligible reps, and writing an assignment
(or a trip to the pool) with its reason."""
