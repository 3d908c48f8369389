using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace TorrentLab.Tests.Infrastructure;

/// <summary>Reads a compiled assembly and lists, per namespace, the namespaces its code uses: from signatures, base
/// types, attributes, locals and every type, method and field token in the IL (so a fully qualified name without a
/// <c>using</c>, a lambda or an async state machine counts as much as a declared field).</summary>
/// <remarks>Compiler-generated nested types (lambdas, state machines) count for the type that holds them.</remarks>
internal sealed class IlDependencies
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private readonly MetadataReader _reader;
    private readonly PEReader _pe;

    private IlDependencies(PEReader pe)
    {
        _pe = pe;
        _reader = pe.GetMetadataReader();
    }

    /// <summary>Each type of the assembly (by full name of its outermost type) and the full names of the types of
    /// the same assembly it uses.</summary>
    public static Dictionary<string, HashSet<string>> InsideAssembly(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var self = new IlDependencies(pe);
        var result = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var handle in self._reader.TypeDefinitions)
        {
            var owner = self.NameOf(self.Outermost(handle));
            if (!result.TryGetValue(owner, out var uses)) result[owner] = uses = new HashSet<string>(StringComparer.Ordinal);
            foreach (var used in self.UsedBy(handle)) uses.Add(self.NameOf(self.Outermost(used)));
            uses.Remove(owner);
        }
        return result;
    }

    /// <summary>The full names of the types of assembly <paramref name="other"/> that the assembly at
    /// <paramref name="path"/> names anywhere (every reference to a type of another assembly is a TypeRef row).</summary>
    public static HashSet<string> ReferencedFrom(string path, string other)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var reader = pe.GetMetadataReader();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handle in reader.TypeReferences)
        {
            var reference = reader.GetTypeReference(handle);
            var outer = reference;
            while (outer.ResolutionScope.Kind == HandleKind.TypeReference)
                outer = reader.GetTypeReference((TypeReferenceHandle)outer.ResolutionScope);
            if (outer.ResolutionScope.Kind != HandleKind.AssemblyReference) continue;
            var assembly = reader.GetAssemblyReference((AssemblyReferenceHandle)outer.ResolutionScope);
            if (!reader.StringComparer.Equals(assembly.Name, other)) continue;
            names.Add($"{reader.GetString(outer.Namespace)}.{reader.GetString(outer.Name)}");
        }
        return names;
    }

    /// <summary>The names of the assemblies the assembly at <paramref name="path"/> references (its AssemblyRef rows).</summary>
    public static HashSet<string> AssembliesReferencedBy(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var reader = pe.GetMetadataReader();
        return reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name)).ToHashSet(StringComparer.Ordinal);
    }

    private TypeDefinitionHandle Outermost(TypeDefinitionHandle handle)
    {
        while (true)
        {
            var declaring = _reader.GetTypeDefinition(handle).GetDeclaringType();
            if (declaring.IsNil) return handle;
            handle = declaring;
        }
    }

    private string NameOf(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        return $"{_reader.GetString(type.Namespace)}.{_reader.GetString(type.Name)}";
    }

    private HashSet<TypeDefinitionHandle> UsedBy(TypeDefinitionHandle handle)
    {
        var found = new HashSet<TypeDefinitionHandle>();
        var provider = new Collector(this, found);
        var type = _reader.GetTypeDefinition(handle);
        AddType(type.BaseType, found);
        foreach (var i in type.GetInterfaceImplementations()) AddType(_reader.GetInterfaceImplementation(i).Interface, found);
        AddAttributes(type.GetCustomAttributes(), found);
        foreach (var f in type.GetFields())
        {
            var field = _reader.GetFieldDefinition(f);
            field.DecodeSignature(provider, found);
            AddAttributes(field.GetCustomAttributes(), found);
        }
        foreach (var p in type.GetProperties()) _reader.GetPropertyDefinition(p).DecodeSignature(provider, found);
        foreach (var m in type.GetMethods())
        {
            var method = _reader.GetMethodDefinition(m);
            method.DecodeSignature(provider, found);
            AddAttributes(method.GetCustomAttributes(), found);
            if (method.RelativeVirtualAddress != 0) AddBody(_pe.GetMethodBody(method.RelativeVirtualAddress), found);
        }
        return found;
    }

    private void AddAttributes(CustomAttributeHandleCollection attributes, HashSet<TypeDefinitionHandle> found)
    {
        foreach (var a in attributes) AddToken(_reader.GetCustomAttribute(a).Constructor, found);
    }

    private void AddBody(MethodBodyBlock body, HashSet<TypeDefinitionHandle> found)
    {
        if (!body.LocalSignature.IsNil)
            _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(new Collector(this, found), found);
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short code = il.ReadByte();
            if (code == 0xFE) code = unchecked((short)(0xFE00 | il.ReadByte()));
            switch (Operands[code])
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType or OperandType.InlineTok:
                    AddToken(MetadataTokens.EntityHandle(il.ReadInt32()), found);
                    break;
                case OperandType.InlineSwitch:
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineSig or OperandType.InlineString
                    or OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
            }
        }
    }

    private void AddToken(EntityHandle handle, HashSet<TypeDefinitionHandle> found)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition or HandleKind.TypeReference or HandleKind.TypeSpecification:
                AddType(handle, found);
                break;
            case HandleKind.MethodDefinition:
                found.Add(_reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.FieldDefinition:
                found.Add(_reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                break;
            case HandleKind.MemberReference:
                var member = _reader.GetMemberReference((MemberReferenceHandle)handle);
                AddToken(member.Parent, found);
                if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(new Collector(this, found), found);
                else member.DecodeFieldSignature(new Collector(this, found), found);
                break;
            case HandleKind.MethodSpecification:
                var spec = _reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                AddToken(spec.Method, found);
                spec.DecodeSignature(new Collector(this, found), found);
                break;
        }
    }

    private void AddType(EntityHandle handle, HashSet<TypeDefinitionHandle> found)
    {
        if (handle.IsNil) return;
        if (handle.Kind == HandleKind.TypeDefinition) found.Add((TypeDefinitionHandle)handle);
        else if (handle.Kind == HandleKind.TypeSpecification)
            _reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(new Collector(this, found), found);
    }

    /// <summary>Decodes signatures only to note every type definition of this assembly they mention.</summary>
    private sealed class Collector(IlDependencies owner, HashSet<TypeDefinitionHandle> seen) : ISignatureTypeProvider<bool, HashSet<TypeDefinitionHandle>>
    {
        public bool GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => seen.Add(handle) || true;
        public bool GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => true;
        public bool GetTypeFromSpecification(MetadataReader reader, HashSet<TypeDefinitionHandle> found, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            owner.AddType(handle, found);
            return true;
        }
        public bool GetPrimitiveType(PrimitiveTypeCode typeCode) => true;
        public bool GetSZArrayType(bool elementType) => true;
        public bool GetArrayType(bool elementType, ArrayShape shape) => true;
        public bool GetByReferenceType(bool elementType) => true;
        public bool GetPointerType(bool elementType) => true;
        public bool GetPinnedType(bool elementType) => true;
        public bool GetGenericInstantiation(bool genericType, ImmutableArray<bool> typeArguments) => true;
        public bool GetGenericTypeParameter(HashSet<TypeDefinitionHandle> found, int index) => true;
        public bool GetGenericMethodParameter(HashSet<TypeDefinitionHandle> found, int index) => true;
        public bool GetFunctionPointerType(MethodSignature<bool> signature) => true;
        public bool GetModifiedType(bool modifier, bool unmodifiedType, bool isRequired) => true;
    }
}
