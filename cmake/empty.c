/* empty.c: keeps a folder's static library non-empty while the folder has no sources yet. */
typedef int sk_empty_translation_unit;
