//! The statements lakecat's DDL understands, as typed values.

/// `[db.]name`, lower-cased (Hive names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedName {
    pub database: Option<String>,
    pub name: String,
}

impl std::fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.database {
            Some(d) => write!(f, "{d}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: String,
    /// Canonical Hive type text (already checked by the catalog's type grammar).
    pub data_type: String,
    pub comment: Option<String>,
}

/// `(k='v', …)` in key order as written; values are strings as written.
pub type PartitionSpec = Vec<(String, String)>;
pub type Properties = Vec<(String, String)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowFormat {
    Delimited {
        fields_terminated_by: Option<String>,
        escaped_by: Option<String>,
        collection_items_terminated_by: Option<String>,
        map_keys_terminated_by: Option<String>,
        lines_terminated_by: Option<String>,
        null_defined_as: Option<String>,
    },
    Serde {
        class: String,
        properties: Properties,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredAs {
    /// TEXTFILE, PARQUET, ORC, AVRO, JSON, ION, SEQUENCEFILE, RCFILE (upper case).
    Format(String),
    InputOutput {
        input: String,
        output: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucketing {
    pub columns: Vec<String>,
    /// Column and ascending?
    pub sorted_by: Vec<(String, bool)>,
    pub buckets: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateTable {
    pub name: QualifiedName,
    pub external: bool,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub comment: Option<String>,
    pub partitioned_by: Vec<ColumnDef>,
    pub clustered_by: Option<Bucketing>,
    pub row_format: Option<RowFormat>,
    pub stored_as: Option<StoredAs>,
    pub location: Option<String>,
    pub properties: Properties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairMode {
    Add,
    Drop,
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescribeStyle {
    Plain,
    Extended,
    Formatted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    CreateDatabase {
        name: String,
        if_not_exists: bool,
        comment: Option<String>,
        location: Option<String>,
        properties: Properties,
    },
    DropDatabase {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    CreateTable(Box<CreateTable>),
    DropTable {
        name: QualifiedName,
        if_exists: bool,
    },
    AddPartitions {
        table: QualifiedName,
        if_not_exists: bool,
        partitions: Vec<(PartitionSpec, Option<String>)>,
    },
    DropPartitions {
        table: QualifiedName,
        if_exists: bool,
        partitions: Vec<PartitionSpec>,
    },
    SetLocation {
        table: QualifiedName,
        partition: Option<PartitionSpec>,
        location: String,
    },
    SetTblProperties {
        table: QualifiedName,
        properties: Properties,
    },
    AddColumns {
        table: QualifiedName,
        columns: Vec<ColumnDef>,
    },
    ReplaceColumns {
        table: QualifiedName,
        columns: Vec<ColumnDef>,
    },
    RenamePartition {
        table: QualifiedName,
        from: PartitionSpec,
        to: PartitionSpec,
    },
    /// `ALTER TABLE t RENAME TO [db.]t2`; an unqualified new name stays in `t`'s
    /// database (as in Spark; Hive would use the current one).
    RenameTable {
        table: QualifiedName,
        to: QualifiedName,
    },
    /// `MSCK REPAIR TABLE t [ADD|DROP|SYNC PARTITIONS]`, `ALTER TABLE t RECOVER PARTITIONS`.
    RepairTable {
        table: QualifiedName,
        mode: RepairMode,
    },
    ShowDatabases {
        like: Option<String>,
    },
    ShowTables {
        database: Option<String>,
        pattern: Option<String>,
    },
    ShowPartitions {
        table: QualifiedName,
        partition: Option<PartitionSpec>,
    },
    ShowCreateTable {
        table: QualifiedName,
    },
    ShowTblProperties {
        table: QualifiedName,
        key: Option<String>,
    },
    ShowColumns {
        table: QualifiedName,
    },
    Describe {
        table: QualifiedName,
        style: DescribeStyle,
        partition: Option<PartitionSpec>,
        column: Option<String>,
    },
    Use {
        database: String,
    },
    /// `GRANT` (`grant`) or `REVOKE` privileges on an object to or from a user.
    Grant {
        grant: bool,
        /// Lower case (`select`, `all`, …); the executor maps them.
        privileges: Vec<String>,
        object: GrantObject,
        principal: String,
    },
    /// `SHOW GRANT [USER name] [ON object]`.
    ShowGrant {
        principal: Option<String>,
        object: Option<GrantObject>,
    },
}

/// What a grant is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantObject {
    /// `CATALOG` (or Hive's `SERVER`): everything.
    Catalog,
    Database(String),
    Table(QualifiedName),
}

impl Statement {
    /// The statement's kind as answers name it (`CREATE TABLE`, `SHOW PARTITIONS`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Statement::CreateDatabase { .. } => "CREATE DATABASE",
            Statement::DropDatabase { .. } => "DROP DATABASE",
            Statement::CreateTable(_) => "CREATE TABLE",
            Statement::DropTable { .. } => "DROP TABLE",
            Statement::AddPartitions { .. } => "ALTER TABLE ADD PARTITION",
            Statement::DropPartitions { .. } => "ALTER TABLE DROP PARTITION",
            Statement::SetLocation { .. } => "ALTER TABLE SET LOCATION",
            Statement::SetTblProperties { .. } => "ALTER TABLE SET TBLPROPERTIES",
            Statement::AddColumns { .. } => "ALTER TABLE ADD COLUMNS",
            Statement::ReplaceColumns { .. } => "ALTER TABLE REPLACE COLUMNS",
            Statement::RenamePartition { .. } => "ALTER TABLE RENAME PARTITION",
            Statement::RenameTable { .. } => "ALTER TABLE RENAME TO",
            Statement::RepairTable { .. } => "MSCK REPAIR TABLE",
            Statement::ShowDatabases { .. } => "SHOW DATABASES",
            Statement::ShowTables { .. } => "SHOW TABLES",
            Statement::ShowPartitions { .. } => "SHOW PARTITIONS",
            Statement::ShowCreateTable { .. } => "SHOW CREATE TABLE",
            Statement::ShowTblProperties { .. } => "SHOW TBLPROPERTIES",
            Statement::ShowColumns { .. } => "SHOW COLUMNS",
            Statement::Describe { .. } => "DESCRIBE",
            Statement::Use { .. } => "USE",
            Statement::Grant { grant: true, .. } => "GRANT",
            Statement::Grant { grant: false, .. } => "REVOKE",
            Statement::ShowGrant { .. } => "SHOW GRANT",
        }
    }
}
