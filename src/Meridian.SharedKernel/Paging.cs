namespace Meridian.SharedKernel;

public sealed record Page<T>(IReadOnlyList<T> Items, int Offset, int Count, int? Total)
{
    public bool HasMore => Total is int t ? Offset + Items.Count < t : Items.Count == Count;
}
