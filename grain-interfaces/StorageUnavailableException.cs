namespace Flowstate;

/// <summary>
/// PostgreSQL could not be reached or refused a statement. Carries the database's message
/// across silo boundaries (driver exceptions do not serialize); the command may be retried.
/// </summary>
[GenerateSerializer, Alias("Flowstate.StorageUnavailableException")]
public sealed class StorageUnavailableException(string message) : Exception(message);
