namespace Flowstate;

/// <summary>The one grain storage provider every Flowstate grain persists through.</summary>
public static class GrainStorage
{
    public const string Name = "flowstate";
}

