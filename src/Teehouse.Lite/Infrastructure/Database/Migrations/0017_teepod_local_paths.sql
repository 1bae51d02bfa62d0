-- Where a teepod on this very host keeps its guest OS images and its VMs' work directories (vmm.toml's image_path and
-- run_path), as `teehouse teepod add-local` read them. NULL for a teepod registered over the API: its files are on
-- another machine, so nothing here reads them (no image digests, no disk use).
ALTER TABLE teepods ADD COLUMN image_path TEXT;
ALTER TABLE teepods ADD COLUMN run_path TEXT;
