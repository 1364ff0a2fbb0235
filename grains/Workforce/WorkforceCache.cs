using Flowstate.Domain;

namespace Flowstate.Workforce;

/// <summary>
/// The latest workforce model of one org for a grain that reads it on every call: each use asks the
/// org grain for anything newer than the version held (an interleaving call that returns nothing
/// when unchanged) and builds the model only when the workforce moved.
/// </summary>
public sealed class WorkforceCache(IGrainFactory grains, string org)
{
    private WorkforceModel? _model;

    public async Task<WorkforceModel> GetAsync()
    {
        var snapshot = await grains.GetGrain<IOrgGrain>(org).GetWorkforceAsync(_model?.Version ?? -1);
        if (snapshot is not null) _model = new WorkforceModel(snapshot);
        return _model!;
    }
}
