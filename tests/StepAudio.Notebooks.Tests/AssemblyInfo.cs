// Formatter registrations, torch thread settings and the kernel's assembly context are process-wide.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
