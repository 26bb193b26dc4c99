using System.Reflection;
using System.Reflection.Emit;

namespace Meridian.Tests.Architecture;

/// <summary>
/// A module may use another module only through its Contracts namespace. Checked with plain reflection over signatures
/// and over the IL of every method body, so a stray use of another module's DbContext or entity fails here.
/// </summary>
public sealed class ModuleBoundaryTests
{
    /// <summary>Shared libraries every module may use in full: they are not modules and own no tables.</summary>
    private static readonly string[] SharedLibraries = ["Meridian.SharedKernel", "Meridian.X12"];

    /// <summary>Every module the host references (all Meridian.* projects but the shared libraries).</summary>
    private static readonly string[] Modules = typeof(Program).Assembly.GetReferencedAssemblies()
        .Select(a => a.Name!).Where(n => n.StartsWith("Meridian.", StringComparison.Ordinal) && !SharedLibraries.Contains(n)).ToArray();

    private static IEnumerable<Assembly> ModuleAssemblies() => Modules.Select(Assembly.Load);

    [Fact]
    public void The_host_references_the_modules()
    {
        Assert.Contains("Meridian.Audit", Modules);
        Assert.Contains("Meridian.Identity", Modules);
    }

    [Fact]
    public void Modules_use_each_other_only_through_contracts()
    {
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var assembly in ModuleAssemblies())
        {
            var own = assembly.GetName().Name!;
            foreach (var type in assembly.GetTypes())
                foreach (var used in UsedTypes(type))
                {
                    var owner = used.Assembly.GetName().Name!;
                    if (owner == own || !Modules.Contains(owner)) continue;
                    if (used.Namespace?.StartsWith(owner + ".Contracts", StringComparison.Ordinal) == true) continue;
                    // Module registration (Add<Module>Module) and its public feature handlers used by the host are the other
                    // allowed surface; a module calling another module's handlers is not.
                    violations.Add($"{type.FullName} uses {used.FullName} ({owner})");
                }
        }
        Assert.True(violations.Count == 0, "Cross-module use outside Contracts:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_boundary_check_sees_types_used_inside_method_bodies()
    {
        // Guards the guard: IL scanning must find a type that appears only in a method body.
        var used = UsedTypes(typeof(ModuleBoundaryTests)).ToList();
        Assert.Contains(typeof(OpCodes), used);
    }

    private static IEnumerable<Type> UsedTypes(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var a in t.GetGenericArguments()) Add(a);
                return;
            }
            if (!t.IsGenericParameter) found.Add(t);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(all)) Add(f.FieldType);
        foreach (var p in type.GetProperties(all)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var t in TypesInBody(m)) Add(t);
        }
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    private static IEnumerable<Type> TypesInBody(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException) { yield break; }
        if (il is null) yield break;
        var module = method.Module;
        var typeArgs = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var pos = 0;
        while (pos < il.Length)
        {
            short value = il[pos++];
            if (value == 0xFE) value = (short)(0xFE00 | il[pos++]);
            if (!OpCodesByValue.TryGetValue(value, out var op)) yield break;
            switch (op.OperandType)
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: pos += 1; break;
                case OperandType.InlineVar: pos += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: pos += 8; break;
                case OperandType.InlineSwitch: pos += 4 + 4 * BitConverter.ToInt32(il, pos); break;
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                {
                    var token = BitConverter.ToInt32(il, pos);
                    pos += 4;
                    Type? resolved = null;
                    try
                    {
                        resolved = op.OperandType switch
                        {
                            OperandType.InlineMethod => module.ResolveMethod(token, typeArgs, methodArgs)?.DeclaringType,
                            OperandType.InlineField => module.ResolveField(token, typeArgs, methodArgs)?.DeclaringType,
                            _ => module.ResolveMember(token, typeArgs, methodArgs) switch { Type t => t, MemberInfo mi => mi.DeclaringType, _ => null },
                        };
                    }
                    catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException or FileNotFoundException) { }
                    if (resolved is not null) yield return resolved;
                    break;
                }
                default: pos += 4; break;
            }
        }
    }
}
