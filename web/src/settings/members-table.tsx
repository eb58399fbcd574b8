import { useId, useState } from 'react';
import { ConfirmButton } from './confirm-button.tsx';
import { TableWrap } from './table-wrap.tsx';
import { personName } from './types.ts';

/** A member as both tables show one: a workspace's and a dashboard's. */
export interface TableMember<Role extends string> {
  readonly userId: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly role: Role;
}

/** What a members table shows and what its actions do. */
export interface MembersTableProps<Role extends string, Member extends TableMember<Role>> {
  /** The table's accessible name. */
  readonly label: string;
  readonly members: readonly Member[];
  /** The roles a manager can pick. */
  readonly roles: readonly Role[];
  /** The signed-in person (marked "you"). */
  readonly meId: string;
  /** Whether the person may change roles and remove members (else the roles are read-only text). */
  readonly canManage: boolean;
  readonly busy: boolean;
  /** The question the Remove button asks before removing. */
  readonly removeQuestion: (member: Member) => string;
  readonly onSaveRole: (member: Member, role: Role) => void;
  readonly onRemove: (member: Member) => void;
}

/**
 * The members of a workspace or of a dashboard: name (with "you"), e-mail, role, and for those who
 * manage them a role picker with Save and a Remove button that asks first.
 */
export function MembersTable<Role extends string, Member extends TableMember<Role>>(
  props: MembersTableProps<Role, Member>,
) {
  const { members, canManage, busy } = props;
  return (
    <TableWrap label={props.label}>
      <table className="members-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">E-mail</th>
            <th scope="col">Role</th>
            {canManage ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {members.map((member) => (
            <tr key={member.userId} data-member={member.email ?? member.userId}>
              <td>
                {member.name ?? <span className="hint">not signed in yet</span>}
                {member.userId === props.meId ? <span className="badge">you</span> : null}
              </td>
              <td>{member.email ?? '—'}</td>
              <td>
                {canManage ? (
                  <RoleEditor
                    member={member}
                    roles={props.roles}
                    busy={busy}
                    onSave={(role) => props.onSaveRole(member, role)}
                  />
                ) : (
                  <span className="role">{member.role}</span>
                )}
              </td>
              {canManage ? (
                <td>
                  <ConfirmButton
                    label="Remove"
                    hiddenLabel={personName(member)}
                    question={props.removeQuestion(member)}
                    confirmLabel="Yes, remove"
                    disabled={busy}
                    onConfirm={() => props.onRemove(member)}
                  />
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </TableWrap>
  );
}

/**
 * A member's role as a picker and a Save button (a keyboard user moving through the options writes
 * nothing until Save).
 */
function RoleEditor<Role extends string>({
  member,
  roles,
  busy,
  onSave,
}: {
  readonly member: TableMember<Role>;
  readonly roles: readonly Role[];
  readonly busy: boolean;
  readonly onSave: (role: Role) => void;
}) {
  const [role, setRole] = useState<Role>(member.role);
  const id = useId();
  return (
    <span className="role-editor">
      <label htmlFor={id} className="visually-hidden">
        Role of {personName(member)}
      </label>
      <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {roles.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button type="button" disabled={busy || role === member.role} onClick={() => onSave(role)}>
        Save<span className="visually-hidden"> role of {personName(member)}</span>
      </button>
    </span>
  );
}
