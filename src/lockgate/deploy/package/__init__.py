"""The deploy package: which files ship (select), what they hold (inspect), the branch commit
with the generated files (commit), and ``--out`` (out).

A package is built from a :class:`~lockgate.deploy.package.inspect.Source`: HEAD's tree, or
(``--allow-dirty``) the work tree as validated. Nothing here touches HEAD, the index, the work
tree or untracked files: blobs are read from the object store (or the work tree's bytes, read
once), the tree is built in a temporary index, and the branch moves by compare-and-swap.
"""
